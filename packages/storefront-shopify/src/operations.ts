/**
 * The Admin GraphQL operations this storefront sends, with the response shapes it reads. Operation names
 * are prefixed so they are easy to find in Shopify's API logs.
 */

// The search is tokenised ("SHIRT-BLUE-M" also finds "SHIRT-BLUE-M-XL") and sorted by id, so a page of
// candidates is read and the exact SKU picked from it (see lookupProductId).
export const PRODUCT_BY_SKU = /* GraphQL */ `
  query JobkitProductBySku($query: String!, $first: Int!, $after: String) {
    productVariants(first: $first, after: $after, query: $query) {
      pageInfo { hasNextPage endCursor }
      nodes { id sku product { id title } }
    }
  }
`;
export interface SkuCandidate {
  id: string;
  sku: string | null;
  product: { id: string; title: string };
}
export interface ProductBySkuData {
  productVariants: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: SkuCandidate[] };
}

export const PRODUCT_MEDIA = /* GraphQL */ `
  query JobkitProductMedia($id: ID!, $first: Int!, $after: String) {
    product(id: $id) {
      id
      title
      media(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { id alt status mediaContentType }
      }
    }
  }
`;
export type MediaStatus = 'UPLOADED' | 'PROCESSING' | 'READY' | 'FAILED';
export interface MediaNode {
  id: string;
  alt: string | null;
  status: MediaStatus;
  mediaContentType: string;
}
export interface ProductMediaData {
  product: {
    id: string;
    title: string;
    media: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: MediaNode[] };
  } | null;
}

export const STAGED_UPLOADS_CREATE = /* GraphQL */ `
  mutation JobkitStagedUploads($input: [StagedUploadInput!]!) {
    stagedUploadsCreate(input: $input) {
      stagedTargets { url resourceUrl parameters { name value } }
      userErrors { field message }
    }
  }
`;
export interface StagedUploadInput {
  resource: 'IMAGE';
  filename: string;
  mimeType: string;
  httpMethod: 'POST' | 'PUT';
  /** UnsignedInt64 travels as a string. */
  fileSize: string;
}
export interface StagedTarget {
  url: string;
  resourceUrl: string;
  parameters: Array<{ name: string; value: string }>;
}
export interface UserError {
  field: string[] | null;
  message: string;
}
export interface StagedUploadsCreateData {
  stagedUploadsCreate: { stagedTargets: StagedTarget[] | null; userErrors: UserError[] } | null;
}

// productUpdate(product:, media:) replaces the deprecated productCreateMedia. Its payload has only
// userErrors (media problems come back there, with a field path under "media").
export const ATTACH_MEDIA = /* GraphQL */ `
  mutation JobkitAttachMedia($product: ProductUpdateInput!, $media: [CreateMediaInput!], $last: Int!) {
    productUpdate(product: $product, media: $media) {
      product {
        id
        media(last: $last) { nodes { id alt status mediaContentType } }
      }
      userErrors { field message }
    }
  }
`;
export interface CreateMediaInput {
  originalSource: string;
  alt: string;
  mediaContentType: 'IMAGE';
}
export interface AttachMediaData {
  productUpdate: {
    product: { id: string; media: { nodes: MediaNode[] } } | null;
    userErrors: UserError[];
  } | null;
}

// Removes media this storefront created that Shopify could not process. fileDelete deletes the file and
// every product reference to it; productDeleteMedia is deprecated ("use fileUpdate"), and fileUpdate only
// changes files that are READY. Needs the write_files scope.
export const DELETE_FILES = /* GraphQL */ `
  mutation JobkitDeleteFiles($ids: [ID!]!) {
    fileDelete(fileIds: $ids) {
      deletedFileIds
      userErrors { field message }
    }
  }
`;
export interface DeleteFilesData {
  fileDelete: { deletedFileIds: string[] | null; userErrors: UserError[] } | null;
}

export const MEDIA_STATUS = /* GraphQL */ `
  query JobkitMediaStatus($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on MediaImage { id status alt mediaErrors { code details message } }
    }
  }
`;
export interface MediaError {
  code: string;
  details: string | null;
  message: string;
}
export interface MediaStatusData {
  nodes: Array<{ id: string; status: MediaStatus; alt: string | null; mediaErrors: MediaError[] } | Record<string, never> | null>;
}
